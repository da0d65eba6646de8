"""gunicorn's settings for `make serve` (read from the working directory).

The API's query strings may carry a list of unit codes (`/api/v1/slots?participants=...`, at
most 2,000 ASCII characters, up to 6,000 once percent-encoded): gunicorn's default request line
of 4,094 bytes would refuse some with a 414 that the API does not document.
"""
limit_request_line = 8190

# A city-wide series (a year of weekly briefings to every unit) is one request that books every
# occurrence in one transaction; on a loaded machine it took up to ~40 s on PostgreSQL
# (docs/PERFORMANCE.md), past gunicorn's default 30 s worker timeout, which would kill it mid-way
# (the transaction rolls back: nothing half-written, but nothing booked). Two minutes covers it.
timeout = 120
