"""Calendar feeds: what each feed holds (scopes), its entries (content), the cache that
serves them, the helper process that renders them, and private feed links."""
