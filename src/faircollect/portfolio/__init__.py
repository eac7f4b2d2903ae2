"""A lender's portfolio as files: reading, validating and importing it, and generating one."""
