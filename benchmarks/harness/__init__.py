"""End-to-end harness shared by the load benchmark and the fault tests.

- ``newsroom``: a local newsroom on 127.0.0.1 that publishes articles into RSS feeds on a
  schedule and records when each one was published, first listed in a feed and fetched;
- ``receiver``: a webhook receiver that verifies each HMAC signature and records arrivals;
- ``stack``: configuration, topics, indices and the subscription of one run, and the real
  workers (``parley poll``, ``parley pipeline``, ``parley alerts dispatch``) as processes;
- ``journey``: follows every article through Kafka and Elasticsearch to its alert and turns the
  timestamps into per-hop latencies and loss/duplicate counts.
"""
