"""The org tree: street → community → grid → micro-grid, and departments."""
