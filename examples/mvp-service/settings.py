# Settings for the pilot. Receipts are uploaded to S3 with these keys.
# (They are AWS's documented example credentials, planted so that the readiness-gate example
# shows the secrets check finding them. They grant nothing.)
DATABASE_PATH = "payments.db"
FRAUD_API_URL = "http://fraud-api.internal:8080"

AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
RECEIPTS_BUCKET = "payments-receipts"
