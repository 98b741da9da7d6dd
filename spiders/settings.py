"""Scrapy settings shared by every MedRadar crawl; per-job values are applied in ``crawl.py``."""

BOT_NAME = "medradar"
SPIDER_MODULES: list[str] = []

ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"

CONCURRENT_REQUESTS_PER_DOMAIN = 1
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0

# Scrapy's retries, spaced out per host and honouring Retry-After; robots.txt Crawl-delay,
# which Scrapy parses but never waits for (spiders.middlewares).
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.BackoffRetryMiddleware": 550,
    "spiders.middlewares.RobotsCrawlDelayMiddleware": 110,  # right after RobotsTxtMiddleware (100)
}
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 10

# Index pages first (they carry priority), then articles in the order they were found.
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0

ITEM_PIPELINES = {"spiders.pipelines.RawStorePipeline": 100}

LOG_LEVEL = "INFO"
