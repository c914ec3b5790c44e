"""People, their households and their roles scoped to org units."""
