"""The growth path (docs/growth.md): what a worker has grown into and what is next.

    radar       the radar: each dimension and point category as a share of its maximum
    path        grades per role, what the next one needs, HR's certification
    pools       talent pools: HR's tags with rules, and who qualifies
    record      a worker's growth record (radar, training, tiers won, rewards chosen,
                grade) and the videos suggested for the weakest axis; the kiosk's read
"""
