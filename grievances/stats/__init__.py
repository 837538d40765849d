"""The staff statistics: the dashboard and monthly report, the commissions' figures, the API,
and the nightly rollup that keeps them fast (`rollup`, `tasks`)."""
