"""Running the service: health checks for load balancers and one log line per request."""
