"""eBay: auth, Browse search, quota, sold items, and the sandbox marketplace."""
