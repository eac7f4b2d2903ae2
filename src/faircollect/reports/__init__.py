"""Reports: portfolio and compliance views as tables, charts and HTML files."""
