"""The background example: a view hands work to a channel; runworker does it; a delayed
follow-up comes later through rundelay."""
