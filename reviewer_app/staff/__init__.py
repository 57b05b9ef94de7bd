"""Programme staff's side of the app: the standards library, the reviewer pool, visit plans and
building signed kits from them. Headless (no Qt): ``ui/staff/`` is the window over it.

``service.StaffService`` is the one worker thread that owns the staff workspace
(``storage.staff_store``); every other module here is plain functions and dataclasses.
"""
