"""Rewards: the catalogue (`catalogue`), what workers redeem and its hand-over
(`redemptions`), and the tier menus' entitlements a closed period grants (`entitlements`).
The points account they draw on is `server/services/points/ledger.py`."""
