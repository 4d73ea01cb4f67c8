"""The liveblog example: saving a BlogUpdate pushes it to every open page."""
