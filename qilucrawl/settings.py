"""Every setting qilucrawl reads, in one table.

Scrapy's own settings come first, then the project's ``QILU_*`` settings, grouped by the
component that reads them.  Any of them can be overridden on the command line with
``-s NAME=VALUE`` (``qilucrawl crawl … -s DOWNLOAD_DELAY=0``) with Scrapy's usual precedence:
command line, spider, this file, Scrapy's defaults.

Defaults are polite: robots.txt is obeyed, requests identify the project and a contact URL,
each domain is throttled (AutoThrottle, one request at a time) and failed requests are
retried with backoff, honouring ``Retry-After``.
"""

BOT_NAME = "qilucrawl"
SPIDER_MODULES = ["qilucrawl.spiders"]
NEWSPIDER_MODULE = "qilucrawl.spiders"

# --- Politeness -----------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = "qilucrawl/0.1 (+https://github.com/qilucrawl/qilucrawl; news archiving for research)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
# Pipelines are synchronous: processing a response's items one at a time saves Scrapy ~100
# tasks per response and measured ~10% more articles/s (bench/crawl_rate).
CONCURRENT_ITEMS = 1
# No listeners: a cron crawler needs neither Scrapy's telnet console nor its remote control (on by
# default since Scrapy 2.19: an HTTP server on localhost that runs Python code, announced by a
# bearer-token file under ~/.local/state/scrapy/job_files that stays behind when a run is killed).
# A crawl opens no listening socket and writes nothing but the archive and its log.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Faults: retries, caps --------------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Backoff between retries: base * 2**attempt seconds, capped; Retry-After wins when larger.
QILU_RETRY_BACKOFF_BASE = 1.0
QILU_RETRY_BACKOFF_MAX = 60.0
DOWNLOAD_TIMEOUT = 30
# A news page or text body is never this large; anything bigger is refused and recorded.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5

DOWNLOADER_MIDDLEWARES = {
    # Replaced by BackoffRetryMiddleware, which waits before retrying.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "qilucrawl.middlewares.BackoffRetryMiddleware": 550,
    # Sees responses before Scrapy's RedirectMiddleware (600) follows them.
    "qilucrawl.middlewares.OffsiteRedirectMiddleware": 610,
}
# Spiders set allowed_domains to the configured hosts: Scrapy's offsite middleware refuses
# requests to any other host, and OffsiteRedirectMiddleware refuses redirects there (recorded).

ITEM_PIPELINES = {
    "qilucrawl.pipelines.ExtractPipeline": 100,
    "qilucrawl.pipelines.MediaFilterPipeline": 200,
    "qilucrawl.pipelines.StorePipeline": 900,
}

EXTENSIONS = {
    "qilucrawl.progress.ProgressExtension": 500,
    # `scrapy crawl` exits with the run's status (0, 1, 3, 4), as `qilucrawl crawl` does.
    "qilucrawl.jobs.ExitStatusExtension": 600,
}
# "auto": a progress bar when stderr is a terminal, else a log line every interval; "off".
QILU_PROGRESS = "auto"
QILU_PROGRESS_INTERVAL = 60.0
# After Ctrl-C or SIGTERM a crawl stops gracefully (what is fetched is stored, the run marked
# interrupted); what has not stopped after this many seconds is stopped anyway (a second signal
# does that at once).
QILU_STOP_TIMEOUT = 10.0

LOG_LEVEL = "INFO"
LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- Store (qilucrawl.store, StorePipeline) -------------------------------------------------
# The SQLite archive; `qilucrawl … --db PATH` sets it (this is the commands' default too).
QILU_DB_PATH = "archive/qilucrawl.db"
# Articles written per transaction: bigger batches are faster, smaller lose less on a crash
# (a crash loses at most one uncommitted batch, which the next run fetches again).
QILU_STORE_BATCH_SIZE = 50
# ... or every this many seconds, whichever comes first: a slow, polite run does not hold fetched
# articles in memory for minutes.
QILU_STORE_FLUSH_SECONDS = 5.0
# How long a write waits for another writer of the archive (an import, a repair) before it fails.
# A write that fails stops the crawl (exit 4); the articles not written are fetched again next run.
QILU_STORE_BUSY_TIMEOUT = 30.0

# --- Quality alarms (qilucrawl.quality, recorded by StorePipeline) -------------------------------
# A crawl that stores articles measures the share of them with a title, a publish time (a real
# one, not a day read off the URL), a body of normal length, authors and a source.  A share under
# its threshold raises a quality alarm (exit status 5): a layout change that silently stores empty
# bodies is the failure users of news crawlers meet most.  Per spider; a `-s` value (JSON, e.g.
# -s 'QILU_QUALITY_THRESHOLDS={"feed": {"body": 0.9}}') is merged over these field by field.
QILU_QUALITY_THRESHOLDS = {
    # Titles and times come from the feed's lists, which list nothing without them.  Flash items of
    # the rolling feed are short but not empty.  Most media give no byline (authors: no floor), and
    # rolling-feed items name no medium, so a run of mostly flash items has few sources.
    "feed": {"title": 1.0, "published": 0.9, "body": 0.8, "authors": 0.0, "source": 0.2},
    # Every iqilu page prints its time and its 来源; bylines are optional.  Short briefs (a few
    # lines) are common on real lists, so the body floor only catches a layout that loses bodies
    # wholesale; a smaller drop is caught by the median rule below.
    "iqilu": {"title": 1.0, "published": 0.9, "body": 0.5, "authors": 0.0, "source": 0.9},
}
# A body "of normal length" has at least this many characters: a rolling-feed flash is a sentence
# or two (the cleaner flags under 30 as short_body); an iqilu report is paragraphs long.
QILU_QUALITY_BODY_MIN_CHARS = {"feed": 30, "iqilu": 100}
# Shares of fewer articles say little (one flash item is half of a run of two): a run storing
# fewer is measured, but raises no share alarm.
QILU_QUALITY_MIN_ARTICLES = 5
# A share this far (in share points) under the median of the spider's last QILU_QUALITY_HISTORY_RUNS
# measured runs is an alarm too, once there are QILU_QUALITY_HISTORY_MIN of them: it catches a drop
# that stays above the threshold (bylines gone from a site that always had them).  A lasting change
# becomes the new median after half the history shows it; the thresholds still hold then.
QILU_QUALITY_HISTORY_RUNS = 10
QILU_QUALITY_HISTORY_MIN = 3
QILU_QUALITY_MEDIAN_MARGIN = 0.25
# A feed crawl that has stored nothing new for this many hours raises an alarm: the 7x24 rolling
# feed publishes through the night, so half a day without news means the feed stopped or moved.
QILU_QUALITY_FEED_SILENT_HOURS = 12.0

# --- Dead-man's switch (qilucrawl.ping, --ping URL) --------------------------------------------
# Seconds a ping may take: a monitoring service that hangs must not hold a cron crawl.
QILU_PING_TIMEOUT = 10.0

# --- Exports (qilucrawl.exporters) -----------------------------------------------------------------
# The host the Jekyll site's back links point to: [返回首页](//<host>/).
QILU_SITE_HOST = "localhost:4000"

# --- Feed spider (qilucrawl.spiders.feed) ------------------------------------------------------
# In reality list and text endpoints live on different hosts: each has its own base URL.
# `--base-url URL` points all of them at one mirror.
QILU_FEED_MARKET_BASE_URL = "http://43.240.125.15:1818"
QILU_FEED_WEBAPI_BASE_URL = "http://183.136.162.242"
QILU_FEED_TEXT_BASE_URL = "http://choicewzp1.eastmoney.com"
# The public share page an archive links to as the article's source.
QILU_FEED_SHARE_BASE_URL = "http://finews.zning.xyz"
# Endpoint paths ({n}: the list type, {count}: QILU_FEED_COUNT, {code}: the infoCode).
QILU_FEED_MARKET_PATH = "/information/newmarket/web/webapi?marketType={n}&count={count}"
QILU_FEED_WEBAPI_PATH = "/web/webapi?type={n}&count={count}&newsid=1"
QILU_FEED_TEXT_PATH = "/NewsData/GetNewsText.do?id={code}"
QILU_FEED_SHARE_PATH = "/html_News/NewsShare.html?infoCode={code}"
QILU_FEED_MARKET_TYPES = [37, 38, 39]
QILU_FEED_WEBAPI_TYPES = [45, 102]
QILU_FEED_ROLLING_TYPE = 102  # the 7x24 rolling feed among the webapi types
QILU_FEED_COUNT = 100
# A list answer is read up to this many items, and up to this many bad items are recorded one by
# one; past either, one failure says how many more there were (a broken or hostile endpoint must
# not cost a failure row, or memory, per item).
QILU_FEED_MAX_LIST_ITEMS = 1000
QILU_FEED_MAX_LIST_FAILURES = 20
# Only archive these media (names as the feed spells them, e.g. 齐鲁网); empty means all.
QILU_MEDIA: list[str] = []
# Fetch every listed article even when it is stored with the same title and time.
QILU_REFETCH = False

# --- iqilu spider (qilucrawl.spiders.iqilu) --------------------------------------------------
QILU_IQILU_BASE_URL = "http://news.iqilu.com"
QILU_IQILU_LIST_PATH = "/shandong/yuanchuang/list_564_{page}.shtml"
# Stop walking list pages after this many, whatever --since says.
QILU_IQILU_MAX_LIST_PAGES = 500
# Continuation pages (_2, _3 …) followed per article.
QILU_IQILU_MAX_CONTINUATION_PAGES = 20

# --- The demo (qilucrawl demo) -------------------------------------------------------------------
# `qilucrawl demo` writes here by default.
QILU_DEMO_DB_PATH = "archive/demo.db"
QILU_DEMO_JSONL_PATH = "archive/demo.jsonl"
# The whole demo site is backfilled.
QILU_DEMO_SINCE = "2000-01-01"
# The demo site is ours and local: no need to be gentle with it.
QILU_DEMO_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "QILU_RETRY_BACKOFF_BASE": "0.2",
    "LOG_LEVEL": "WARNING",
    "QILU_PROGRESS": "off",
}
