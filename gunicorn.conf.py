"""gunicorn's settings for `make serve` (read from the working directory).

The API's query strings may carry a list of unit codes (`/api/v1/slots?participants=...`, at
most 2,000 ASCII characters, up to 6,000 once percent-encoded): gunicorn's default request line
of 4,094 bytes would refuse some with a 414 that the API does not document.
"""
limit_request_line = 8190
