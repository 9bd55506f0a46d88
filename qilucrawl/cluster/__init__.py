"""Past one machine: Scrapyd workers, one archive shard each, merged by infoCode.

- :mod:`.partitions` cuts a backfill's date range into partitions with fixed job ids, and divides
  the per-domain politeness among the nodes that crawl the same site at once;
- :mod:`.scrapyd` is a small client of Scrapyd's HTTP API (urllib, JSON);
- :mod:`.schedule` schedules the partitions over the nodes (``qilucrawl schedule``);
- :mod:`.merge` folds shards into one archive through the crawl's save path (``qilucrawl merge``);
- :mod:`.status` says what each node and each shard did (``qilucrawl cluster status``);
- :mod:`.compare` says whether two archives hold the same articles (a merge against one process);
- :mod:`.local` starts Scrapyd nodes on loopback for the demo and the tests; ``make cluster-demo``
  is driven by :mod:`qilucrawl.cli.cluster_demo`, beside the commands it runs.

Nothing here imports Scrapy: a worker's crawl runs in Scrapyd's own ``scrapy crawl`` process.
"""
