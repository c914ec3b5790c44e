"""Self-registration: the public form's lists, applying, and the staff's queue and decisions."""

from schema.registration.mutations import RegistrationMutation
from schema.registration.queries import RegistrationQuery
from schema.registration.types import RegistrationApplication

__all__ = ["RegistrationApplication", "RegistrationMutation", "RegistrationQuery"]
