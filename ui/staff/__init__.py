"""Programme staff's window: the standards library, the reviewer pool and visit plans, up to a
signed kit. Views over ``reviewer_app.staff``; the staff workspace is reached only through the
staff worker (``ui.staff.common.StaffContext``)."""
