"""`make bench`: a data set on PostgreSQL, the portal under gunicorn, wrk, and a floor to compare with."""
