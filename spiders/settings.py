"""Scrapy settings shared by every MedRadar crawl; per-job values are applied in ``crawl.py``."""

BOT_NAME = "medradar"
SPIDER_MODULES = ["spiders"]

ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0

ITEM_PIPELINES = {"spiders.pipelines.RawStorePipeline": 100}

LOG_LEVEL = "INFO"
