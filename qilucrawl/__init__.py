"""qilucrawl: crawl, clean and archive Qilu-net style news into SQLite; export datasets and a Jekyll site."""

__version__ = "0.1.0"
