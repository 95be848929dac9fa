"""Orchestration: settings, the Dagster definitions and the `ipwh` command line.

Importing this package is cheap; Dagster and dagster-dbt load only where a command needs them.
"""
