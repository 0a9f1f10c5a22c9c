"""The online pre-review page (网上预审) for department accounts and the hall's clerks and managers."""
