"""Small helpers every package may use and that use no other emotune package: atomic writes, one-line user
errors, content hashes, headless plotting, config resolvers and a filter for one third-party warning."""
