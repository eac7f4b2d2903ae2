"""Case management: promises to pay, payment plans, hardship, disputes, complaints, cease.

Each command is a service function taking the caller's unit of work, so its change, its
audit entry and any notice it enqueues commit together. `case_state` reads it all back in
the shape the planner builds decision requests from.
"""
