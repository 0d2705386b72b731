"""Privacy: the accountability tools of the DPO and supervisors — the
access-log reads and pages, "who accessed this", subject access, erasure,
legal holds, retention, and break the glass. Stands above referrals and
casework (it reads and erases what they hold); writing the access log stays
in ``accounts``."""
