"""Reports: points statistics per month, annual selection."""
