"""The open selection's pages, one module per stage group, each an adapter over the selection's
actions (``actions/selections``) and reads (``actions.queries.selections``):

- ``overview``: the list and start form (agency HR), a selection's page with its stage timeline,
  counts, who is awaited and the actions open to the signed-in person
- ``planning``: panel, scoring scheme and scorers, submitting the plan, the announcement
- ``registration``: the applicants, one by one or from a CSV file
- ``screening``: each applicant's pre-check, the committee's decision, closing screening
- ``scoring``: conflict declarations, the blind score sheet, closing a component
- ``decision``: the plenary vote, the shortlist, the appointing authority's choice, cancelling
"""

from fastapi import APIRouter

from web.routing import ConsoleRoute
from web.views.selections import decision, overview, planning, registration, scoring, screening

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
for module in (overview, planning, registration, screening, scoring, decision):
    router.include_router(module.router)
