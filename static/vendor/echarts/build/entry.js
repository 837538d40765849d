// The dashboard's ECharts (static/js/dashboard.js): its three kinds of chart, the components
// its options use, the canvas renderer the browser draws with and the SVG renderer
// tests/grievances/test_dashboard_charts.py draws with in Node (server-side rendering).
// Built by `npm ci && npm run build` (static/vendor/README.md).
import * as echarts from "echarts/core";
import {BarChart, LineChart, PieChart} from "echarts/charts";
import {GridComponent, LegendPlainComponent, TooltipComponent} from "echarts/components";
import {CanvasRenderer, SVGRenderer} from "echarts/renderers";

echarts.use([PieChart, BarChart, LineChart, GridComponent, TooltipComponent, LegendPlainComponent, CanvasRenderer, SVGRenderer]);

// A global, as the full build's (window.echarts); package.json's footer also sets
// module.exports in Node.
globalThis.echarts = echarts;
