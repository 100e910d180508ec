"""Budgets, time and costs: budget lines and BAC, actuals, earned value, baselines, tolerances, contingency."""
