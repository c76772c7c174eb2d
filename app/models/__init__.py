"""SQLAlchemy models, one module per area."""
from app.models.accounts import ROLES, LoginSession, Organisation, User, UserRole
from app.models.audit import AuditEvent
from app.models.authoring import CourseDraft, CourseMaintainer, CourseVersionFile, DraftAsset
from app.models.capstones import CapstoneFile, CapstoneSubmission
from app.models.certificates import Certificate, VerificationLog
from app.models.integrations import TOKEN_SCOPES, OrganisationToken
from app.models.notifications import Invitation, Notification
from app.models.courses import (
    Course, CourseAsset, CourseVersion, VersionLesson, VersionModule, VersionTranslation,
)
from app.models.progress import Enrollment, LessonProgress
from app.models.provisioning import DirectoryGroup, DirectoryGroupMember, ProvisionedAccount
from app.models.quizzes import QuizAttempt
from app.models.sign_on import SignOnConnection, SignOnDomain
from app.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "ROLES", "AuditEvent", "CapstoneFile", "CapstoneSubmission", "Certificate", "Course", "CourseAsset", "CourseMaintainer",
    "CourseVersion", "DirectoryGroup", "DirectoryGroupMember", "Enrollment", "Invitation", "Notification",
    "OrganisationToken", "ProvisionedAccount", "TOKEN_SCOPES",
    "LessonProgress", "LoginSession", "Organisation", "QuizAttempt", "SignOnConnection", "SignOnDomain", "User", "UserRole", "VerificationLog",
    "VersionLesson", "VersionModule", "VersionTranslation", "WebhookDelivery",
    "WebhookEndpoint",
]
