"""Hotspots (热点分析, 未诉先办; docs/statistics.md "Hotspots"): clusters of similar grievances
found each night (`services.hotspots_refresh`, wording compared by `similarity`), the people who
came back again and again and the cases open across years (`selectors`), sent as supervision
notices and told to the township's leaders once (`services`); its page (`views`), API (`api`)
and nightly job (`tasks`)."""
