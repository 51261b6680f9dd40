"""Talent management's actions: reviews (start, close calibration, establish the pool, cancel),
the committee's and employees' writes (declarations, moves, objections, answers), an agency's
talent records (inputs, approval, critical posts), and talent appointments (appoint, fall back)."""
