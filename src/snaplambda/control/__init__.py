"""The control plane: functions and their configuration, and the store behind them."""
