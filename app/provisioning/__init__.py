"""SCIM 2.0 provisioning: accounts that appear and disappear with an organisation's HR system."""
