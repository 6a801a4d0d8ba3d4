"""Reporting for funders: figures per period, spreadsheets, attendance lists and
certificates."""
