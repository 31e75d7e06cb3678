"""Who owns what: police agencies, sites (HOAs, neighborhoods, businesses), their cameras, and
which agencies each site shares its reads with. Below every stage that needs to know whose a
camera or a read is; above `store` only."""
