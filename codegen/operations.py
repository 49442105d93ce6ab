"""The one table of what rognito implements, and the facts the gateway needs about each operation.

Adding an operation to rognito means one row here and one method in `rognito-ops/src/api.rs`
(the `CognitoApi` impl): the generator emits the trait method, the dispatch arm, the shapes and
validation, and `Operation::{implemented, category, audited, authentication, resource member}`;
the compiler then keeps the rest in step. Nothing else lists operations by name.

Columns:
  category  Cognito's API category for request-rate quotas (CATEGORIES below), or None for an
            operation Cognito does not meter (the provisioned-limit operations themselves).
            Source: "Quotas in Amazon Cognito", operations by category.
  audited   whether each call gets an audit line. Writes and token issuing are audited; reads
            (Describe/List/Get) are not, as CloudTrail logs Cognito's reads only as data events.
  auth      "sigv4": signed with an IAM identity's key, then IAM-authorized;
            "client_secret": no signature, the app client's secret in the body (GetClientToken,
              which the developer guide says IAM does not evaluate);
            "none": public (the model's `authtype: none` operations).
  resource  the input member that names the IAM resource: "UserPoolId" (the pool's ARN),
            "ResourceArn" (the ARN as given), or None (`*`: CreateUserPool, ListUserPools, ...).
"""

from collections import namedtuple

Op = namedtuple("Op", "name category audited auth resource")


def op(name, category, audited, auth="sigv4", resource="UserPoolId"):
    return Op(name, category, audited, auth, resource)


# Cognito's API categories with AWS's default rates in requests per second ("Quotas in Amazon
# Cognito", "Operation quotas"). Only categories of implemented operations are listed; a
# category is added with the first operation that needs it.
CATEGORIES = {
    "UserPoolCreate": 15,
    "UserPoolRead": 15,
    "UserPoolUpdate": 15,
    "UserPoolResourceRead": 20,
    "UserPoolResourceUpdate": 15,
    "ClientAuthentication": 150,
    "UserAuthentication": 120,
    "UserCreation": 50,
    "UserAccountRecovery": 30,
    "UserRead": 120,
    "UserUpdate": 25,
    "UserToken": 120,
    "UserResourceRead": 50,
    "UserResourceUpdate": 25,
    "UserList": 30,
}

IMPLEMENTED = [
    # user pools
    op("CreateUserPool", "UserPoolCreate", True, resource=None),
    op("DescribeUserPool", "UserPoolRead", False),
    op("ListUserPools", "UserPoolRead", False, resource=None),
    op("DeleteUserPool", "UserPoolCreate", True),
    op("UpdateUserPool", "UserPoolUpdate", True),
    op("AddCustomAttributes", "UserPoolUpdate", True),
    op("GetUserPoolMfaConfig", "UserPoolRead", False),
    op("SetUserPoolMfaConfig", "UserPoolUpdate", True),
    op("GetSigningCertificate", "UserPoolResourceRead", False),
    # tags, on the pool's ARN
    op("TagResource", "UserPoolResourceUpdate", True, resource="ResourceArn"),
    op("UntagResource", "UserPoolResourceUpdate", True, resource="ResourceArn"),
    op("ListTagsForResource", "UserPoolResourceRead", False, resource="ResourceArn"),
    # resource servers
    op("CreateResourceServer", "UserPoolResourceUpdate", True),
    op("DescribeResourceServer", "UserPoolResourceRead", False),
    op("ListResourceServers", "UserPoolResourceRead", False),
    op("UpdateResourceServer", "UserPoolResourceUpdate", True),
    op("DeleteResourceServer", "UserPoolResourceUpdate", True),
    # app clients and their secrets
    op("CreateUserPoolClient", "UserPoolResourceUpdate", True),
    op("DescribeUserPoolClient", "UserPoolResourceRead", False),
    op("UpdateUserPoolClient", "UserPoolResourceUpdate", True),
    op("ListUserPoolClients", "UserPoolResourceRead", False),
    op("DeleteUserPoolClient", "UserPoolResourceUpdate", True),
    op("AddUserPoolClientSecret", "UserPoolResourceUpdate", True),
    op("ListUserPoolClientSecrets", "UserPoolResourceRead", False),
    op("DeleteUserPoolClientSecret", "UserPoolResourceUpdate", True),
    # domains (DescribeUserPoolDomain names a domain, not a pool: its resource is `*`)
    op("CreateUserPoolDomain", "UserPoolResourceUpdate", True),
    op("DescribeUserPoolDomain", "UserPoolResourceRead", False, resource=None),
    op("UpdateUserPoolDomain", "UserPoolResourceUpdate", True),
    op("DeleteUserPoolDomain", "UserPoolResourceUpdate", True),
    # machine-to-machine tokens
    op("GetClientToken", "ClientAuthentication", True, auth="client_secret", resource=None),
    # users (by pool and username: signed; by app client or access token: unsigned, charged
    # by the operation once the caller is known)
    op("AdminCreateUser", "UserCreation", True),
    op("AdminGetUser", "UserRead", False),
    op("ListUsers", "UserList", False),
    op("AdminDeleteUser", "UserUpdate", True),
    op("AdminSetUserPassword", "UserAccountRecovery", True),
    op("AdminConfirmSignUp", "UserCreation", True),
    op("AdminUpdateUserAttributes", "UserUpdate", True),
    op("AdminDeleteUserAttributes", "UserUpdate", True),
    op("AdminDisableUser", "UserUpdate", True),
    op("AdminEnableUser", "UserUpdate", True),
    op("AdminResetUserPassword", "UserAccountRecovery", True),
    op("AdminUserGlobalSignOut", "UserUpdate", True),
    op("AdminSetUserMFAPreference", "UserResourceUpdate", True),
    op("SignUp", "UserCreation", True, auth="none", resource=None),
    op("ConfirmSignUp", "UserCreation", True, auth="none", resource=None),
    op("ResendConfirmationCode", "UserResourceRead", True, auth="none", resource=None),
    op("ForgotPassword", "UserAccountRecovery", True, auth="none", resource=None),
    op("ConfirmForgotPassword", "UserAccountRecovery", True, auth="none", resource=None),
    op("GetUser", "UserRead", False, auth="none", resource=None),
    op("DeleteUser", "UserUpdate", True, auth="none", resource=None),
    op("ChangePassword", "UserAccountRecovery", True, auth="none", resource=None),
    op("UpdateUserAttributes", "UserUpdate", True, auth="none", resource=None),
    op("DeleteUserAttributes", "UserUpdate", True, auth="none", resource=None),
    op("GetUserAttributeVerificationCode", "UserResourceRead", True, auth="none", resource=None),
    op("VerifyUserAttribute", "UserUpdate", True, auth="none", resource=None),
    # groups
    op("CreateGroup", "UserPoolResourceUpdate", True),
    op("GetGroup", "UserPoolResourceRead", False),
    op("ListGroups", "UserPoolResourceRead", False),
    op("UpdateGroup", "UserPoolResourceUpdate", True),
    op("DeleteGroup", "UserPoolResourceUpdate", True),
    op("AdminAddUserToGroup", "UserUpdate", True),
    op("AdminRemoveUserFromGroup", "UserUpdate", True),
    op("AdminListGroupsForUser", "UserResourceRead", False),
    op("ListUsersInGroup", "UserList", False),
    # sign-in, tokens and MFA
    op("InitiateAuth", "UserAuthentication", True, auth="none", resource=None),
    op("AdminInitiateAuth", "UserAuthentication", True),
    op("RespondToAuthChallenge", "UserAuthentication", True, auth="none", resource=None),
    op("AdminRespondToAuthChallenge", "UserAuthentication", True),
    op("GetTokensFromRefreshToken", "UserAuthentication", True, auth="none", resource=None),
    op("GlobalSignOut", "UserUpdate", True, auth="none", resource=None),
    op("RevokeToken", "UserToken", True, auth="none", resource=None),
    op("AssociateSoftwareToken", "UserResourceUpdate", True, auth="none", resource=None),
    op("VerifySoftwareToken", "UserResourceUpdate", True, auth="none", resource=None),
    op("SetUserMFAPreference", "UserResourceUpdate", True, auth="none", resource=None),
    # identity providers (configuration only: rognito never calls a provider)
    op("CreateIdentityProvider", "UserPoolResourceUpdate", True),
    op("DescribeIdentityProvider", "UserPoolResourceRead", False),
    op("ListIdentityProviders", "UserPoolResourceRead", False),
    op("UpdateIdentityProvider", "UserPoolResourceUpdate", True),
    op("DeleteIdentityProvider", "UserPoolResourceUpdate", True),
    op("GetIdentityProviderByIdentifier", "UserPoolResourceRead", False),
    # limits (not metered themselves)
    op("GetProvisionedLimit", None, False, resource=None),
    op("UpdateProvisionedLimit", None, True, resource=None),
]
