"""Request and response models of the API, by subject (Create/Update/Public per resource)."""
