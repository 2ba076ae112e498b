"""Error bodies declared by Sequence's 2024-01-01 contract, per operation and status.

Written by scripts/gen_contract_errors.py. Do not edit. (method, path with ``{}`` for each parameter)
-> {status: schema name}; operations not listed declare no error body of their own."""

DECLARED_ERROR_BODIES: dict[tuple[str, str], dict[int, str]] = {
    ('DELETE', '/notifications/policies/{}/notification-types/{}'): {400: 'DatabaseErrors'},
    ('DELETE', '/notifications/policies/{}/recipients/{}'): {400: 'DatabaseErrors'},
    ('POST', '/notifications/policies'): {400: 'DatabaseErrors'},
    ('POST', '/notifications/policies/{}/notification-types'): {400: 'DatabaseErrors'},
    ('POST', '/notifications/policies/{}/recipients'): {400: 'DatabaseErrors'},
    ('POST', '/plans'): {400: 'DatabaseErrors1'},
}
