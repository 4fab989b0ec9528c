"""The demo and the evaluation data: the demo loader (`loader`) and the fleet generator (`fleetgen`).

Nothing is imported here: the generator is pure Python (dreameval and the benchmarks use it before
Django is set up), while the loader needs Django's models.
"""
