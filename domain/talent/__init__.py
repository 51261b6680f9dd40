"""Talent management: the 9-box talent review, the talent pool, succession plans, and filling a
vacant JPT post from the pool (PermenPANRB 3/2020; Kepka BKN 411/2025; UU 5/2014 Pasal 111).

Modules: ``records`` (the HR inputs of one employee, the population of a review), ``rulebook`` and
``sources`` (the formula and the 9-box as versioned data), ``scoring`` (axes and box),
``committee`` (stages, seats, calibration and objection rules), ``succession`` (successors,
readiness, development gaps), ``filling`` (talent management or open selection for a vacancy),
``explanation`` (why a person is in their box; why a review or an appointment ended as it did).
"""
