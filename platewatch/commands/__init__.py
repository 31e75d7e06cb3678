"""The `platewatch` subcommands, one module per subject; `common` holds what they share.

Commands live here, above every stage: only this layer composes the settings tree, so a stage
never imports it back."""
