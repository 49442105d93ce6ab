//! The operations rognito serves, as the generated `CognitoApi` trait sees them. Each method
//! runs the family module that owns the operation (`user_pools`, `resource_servers`, `clients`,
//! `client_secrets`, `domains`, `tokens`, `provisioned_limits`); the list of what is implemented is
//! codegen/operations.py, and the compiler checks this impl against the trait it generates.
//! Describe and List of resource servers answer with JSON assembled from cached pieces.

use rognito_model::*;

use crate::Cognito;

impl CognitoApi for Cognito {
    async fn create_user_pool(
        &self,
        ctx: &RequestContext,
        input: CreateUserPoolRequest,
    ) -> Result<Output<CreateUserPoolResponse>, CognitoError> {
        Cognito::create_user_pool(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn describe_user_pool(
        &self,
        ctx: &RequestContext,
        input: DescribeUserPoolRequest,
    ) -> Result<Output<DescribeUserPoolResponse>, CognitoError> {
        Cognito::describe_user_pool(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn list_user_pools(
        &self,
        ctx: &RequestContext,
        input: ListUserPoolsRequest,
    ) -> Result<Output<ListUserPoolsResponse>, CognitoError> {
        Cognito::list_user_pools(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn delete_user_pool(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPoolRequest,
    ) -> Result<Output<EmptyOutput>, CognitoError> {
        Cognito::delete_user_pool(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn create_resource_server(
        &self,
        ctx: &RequestContext,
        input: CreateResourceServerRequest,
    ) -> Result<Output<CreateResourceServerResponse>, CognitoError> {
        Cognito::create_resource_server(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn describe_resource_server(
        &self,
        ctx: &RequestContext,
        input: DescribeResourceServerRequest,
    ) -> Result<Output<DescribeResourceServerResponse>, CognitoError> {
        Cognito::describe_resource_server(self, ctx, input)
            .await
            .map(Output::Json)
    }

    async fn list_resource_servers(
        &self,
        ctx: &RequestContext,
        input: ListResourceServersRequest,
    ) -> Result<Output<ListResourceServersResponse>, CognitoError> {
        Cognito::list_resource_servers(self, ctx, input)
            .await
            .map(Output::Json)
    }

    async fn update_resource_server(
        &self,
        ctx: &RequestContext,
        input: UpdateResourceServerRequest,
    ) -> Result<Output<UpdateResourceServerResponse>, CognitoError> {
        Cognito::update_resource_server(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn delete_resource_server(
        &self,
        ctx: &RequestContext,
        input: DeleteResourceServerRequest,
    ) -> Result<Output<EmptyOutput>, CognitoError> {
        Cognito::delete_resource_server(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn create_user_pool_client(
        &self,
        ctx: &RequestContext,
        input: CreateUserPoolClientRequest,
    ) -> Result<Output<CreateUserPoolClientResponse>, CognitoError> {
        Cognito::create_user_pool_client(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn describe_user_pool_client(
        &self,
        ctx: &RequestContext,
        input: DescribeUserPoolClientRequest,
    ) -> Result<Output<DescribeUserPoolClientResponse>, CognitoError> {
        Cognito::describe_user_pool_client(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn update_user_pool_client(
        &self,
        ctx: &RequestContext,
        input: UpdateUserPoolClientRequest,
    ) -> Result<Output<UpdateUserPoolClientResponse>, CognitoError> {
        Cognito::update_user_pool_client(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn list_user_pool_clients(
        &self,
        ctx: &RequestContext,
        input: ListUserPoolClientsRequest,
    ) -> Result<Output<ListUserPoolClientsResponse>, CognitoError> {
        Cognito::list_user_pool_clients(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn delete_user_pool_client(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPoolClientRequest,
    ) -> Result<Output<EmptyOutput>, CognitoError> {
        Cognito::delete_user_pool_client(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn add_user_pool_client_secret(
        &self,
        ctx: &RequestContext,
        input: AddUserPoolClientSecretRequest,
    ) -> Result<Output<AddUserPoolClientSecretResponse>, CognitoError> {
        Cognito::add_user_pool_client_secret(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn list_user_pool_client_secrets(
        &self,
        ctx: &RequestContext,
        input: ListUserPoolClientSecretsRequest,
    ) -> Result<Output<ListUserPoolClientSecretsResponse>, CognitoError> {
        Cognito::list_user_pool_client_secrets(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn delete_user_pool_client_secret(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPoolClientSecretRequest,
    ) -> Result<Output<DeleteUserPoolClientSecretResponse>, CognitoError> {
        Cognito::delete_user_pool_client_secret(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn create_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: CreateUserPoolDomainRequest,
    ) -> Result<Output<CreateUserPoolDomainResponse>, CognitoError> {
        Cognito::create_user_pool_domain(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn describe_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: DescribeUserPoolDomainRequest,
    ) -> Result<Output<DescribeUserPoolDomainResponse>, CognitoError> {
        Cognito::describe_user_pool_domain(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn update_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: UpdateUserPoolDomainRequest,
    ) -> Result<Output<UpdateUserPoolDomainResponse>, CognitoError> {
        Cognito::update_user_pool_domain(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn delete_user_pool_domain(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPoolDomainRequest,
    ) -> Result<Output<DeleteUserPoolDomainResponse>, CognitoError> {
        Cognito::delete_user_pool_domain(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn get_client_token(
        &self,
        ctx: &RequestContext,
        input: GetClientTokenRequest,
    ) -> Result<Output<GetClientTokenResponse>, CognitoError> {
        Cognito::get_client_token(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn get_provisioned_limit(
        &self,
        ctx: &RequestContext,
        input: GetProvisionedLimitRequest,
    ) -> Result<Output<GetProvisionedLimitResponse>, CognitoError> {
        Cognito::get_provisioned_limit(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn update_provisioned_limit(
        &self,
        ctx: &RequestContext,
        input: UpdateProvisionedLimitRequest,
    ) -> Result<Output<UpdateProvisionedLimitResponse>, CognitoError> {
        Cognito::update_provisioned_limit(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn update_user_pool(
        &self,
        ctx: &RequestContext,
        input: UpdateUserPoolRequest,
    ) -> Result<Output<UpdateUserPoolResponse>, CognitoError> {
        Cognito::update_user_pool(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn add_custom_attributes(
        &self,
        ctx: &RequestContext,
        input: AddCustomAttributesRequest,
    ) -> Result<Output<AddCustomAttributesResponse>, CognitoError> {
        Cognito::add_custom_attributes(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn get_user_pool_mfa_config(
        &self,
        ctx: &RequestContext,
        input: GetUserPoolMfaConfigRequest,
    ) -> Result<Output<GetUserPoolMfaConfigResponse>, CognitoError> {
        Cognito::get_user_pool_mfa_config(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn set_user_pool_mfa_config(
        &self,
        ctx: &RequestContext,
        input: SetUserPoolMfaConfigRequest,
    ) -> Result<Output<SetUserPoolMfaConfigResponse>, CognitoError> {
        Cognito::set_user_pool_mfa_config(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn get_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: GetSigningCertificateRequest,
    ) -> Result<Output<GetSigningCertificateResponse>, CognitoError> {
        Cognito::get_signing_certificate(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<Output<TagResourceResponse>, CognitoError> {
        Cognito::tag_resource(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<Output<UntagResourceResponse>, CognitoError> {
        Cognito::untag_resource(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceRequest,
    ) -> Result<Output<ListTagsForResourceResponse>, CognitoError> {
        Cognito::list_tags_for_resource(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_create_user(
        &self,
        ctx: &RequestContext,
        input: AdminCreateUserRequest,
    ) -> Result<Output<AdminCreateUserResponse>, CognitoError> {
        Cognito::admin_create_user(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_get_user(
        &self,
        ctx: &RequestContext,
        input: AdminGetUserRequest,
    ) -> Result<Output<AdminGetUserResponse>, CognitoError> {
        Cognito::admin_get_user(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn list_users(
        &self,
        ctx: &RequestContext,
        input: ListUsersRequest,
    ) -> Result<Output<ListUsersResponse>, CognitoError> {
        Cognito::list_users(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_delete_user(
        &self,
        ctx: &RequestContext,
        input: AdminDeleteUserRequest,
    ) -> Result<Output<EmptyOutput>, CognitoError> {
        Cognito::admin_delete_user(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_set_user_password(
        &self,
        ctx: &RequestContext,
        input: AdminSetUserPasswordRequest,
    ) -> Result<Output<AdminSetUserPasswordResponse>, CognitoError> {
        Cognito::admin_set_user_password(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_confirm_sign_up(
        &self,
        ctx: &RequestContext,
        input: AdminConfirmSignUpRequest,
    ) -> Result<Output<AdminConfirmSignUpResponse>, CognitoError> {
        Cognito::admin_confirm_sign_up(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_update_user_attributes(
        &self,
        ctx: &RequestContext,
        input: AdminUpdateUserAttributesRequest,
    ) -> Result<Output<AdminUpdateUserAttributesResponse>, CognitoError> {
        Cognito::admin_update_user_attributes(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_delete_user_attributes(
        &self,
        ctx: &RequestContext,
        input: AdminDeleteUserAttributesRequest,
    ) -> Result<Output<AdminDeleteUserAttributesResponse>, CognitoError> {
        Cognito::admin_delete_user_attributes(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_disable_user(
        &self,
        ctx: &RequestContext,
        input: AdminDisableUserRequest,
    ) -> Result<Output<AdminDisableUserResponse>, CognitoError> {
        Cognito::admin_disable_user(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_enable_user(
        &self,
        ctx: &RequestContext,
        input: AdminEnableUserRequest,
    ) -> Result<Output<AdminEnableUserResponse>, CognitoError> {
        Cognito::admin_enable_user(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_reset_user_password(
        &self,
        ctx: &RequestContext,
        input: AdminResetUserPasswordRequest,
    ) -> Result<Output<AdminResetUserPasswordResponse>, CognitoError> {
        Cognito::admin_reset_user_password(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_user_global_sign_out(
        &self,
        ctx: &RequestContext,
        input: AdminUserGlobalSignOutRequest,
    ) -> Result<Output<AdminUserGlobalSignOutResponse>, CognitoError> {
        Cognito::admin_user_global_sign_out(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_set_user_mfa_preference(
        &self,
        ctx: &RequestContext,
        input: AdminSetUserMFAPreferenceRequest,
    ) -> Result<Output<AdminSetUserMFAPreferenceResponse>, CognitoError> {
        Cognito::admin_set_user_mfa_preference(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn sign_up(
        &self,
        ctx: &RequestContext,
        input: SignUpRequest,
    ) -> Result<Output<SignUpResponse>, CognitoError> {
        Cognito::sign_up(self, ctx, input).await.map(Output::from)
    }

    async fn confirm_sign_up(
        &self,
        ctx: &RequestContext,
        input: ConfirmSignUpRequest,
    ) -> Result<Output<ConfirmSignUpResponse>, CognitoError> {
        Cognito::confirm_sign_up(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn resend_confirmation_code(
        &self,
        ctx: &RequestContext,
        input: ResendConfirmationCodeRequest,
    ) -> Result<Output<ResendConfirmationCodeResponse>, CognitoError> {
        Cognito::resend_confirmation_code(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn forgot_password(
        &self,
        ctx: &RequestContext,
        input: ForgotPasswordRequest,
    ) -> Result<Output<ForgotPasswordResponse>, CognitoError> {
        Cognito::forgot_password(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn confirm_forgot_password(
        &self,
        ctx: &RequestContext,
        input: ConfirmForgotPasswordRequest,
    ) -> Result<Output<ConfirmForgotPasswordResponse>, CognitoError> {
        Cognito::confirm_forgot_password(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn get_user(
        &self,
        ctx: &RequestContext,
        input: GetUserRequest,
    ) -> Result<Output<GetUserResponse>, CognitoError> {
        Cognito::get_user(self, ctx, input).await.map(Output::from)
    }

    async fn delete_user(
        &self,
        ctx: &RequestContext,
        input: DeleteUserRequest,
    ) -> Result<Output<EmptyOutput>, CognitoError> {
        Cognito::delete_user(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn change_password(
        &self,
        ctx: &RequestContext,
        input: ChangePasswordRequest,
    ) -> Result<Output<ChangePasswordResponse>, CognitoError> {
        Cognito::change_password(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn update_user_attributes(
        &self,
        ctx: &RequestContext,
        input: UpdateUserAttributesRequest,
    ) -> Result<Output<UpdateUserAttributesResponse>, CognitoError> {
        Cognito::update_user_attributes(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn delete_user_attributes(
        &self,
        ctx: &RequestContext,
        input: DeleteUserAttributesRequest,
    ) -> Result<Output<DeleteUserAttributesResponse>, CognitoError> {
        Cognito::delete_user_attributes(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn get_user_attribute_verification_code(
        &self,
        ctx: &RequestContext,
        input: GetUserAttributeVerificationCodeRequest,
    ) -> Result<Output<GetUserAttributeVerificationCodeResponse>, CognitoError> {
        Cognito::get_user_attribute_verification_code(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn verify_user_attribute(
        &self,
        ctx: &RequestContext,
        input: VerifyUserAttributeRequest,
    ) -> Result<Output<VerifyUserAttributeResponse>, CognitoError> {
        Cognito::verify_user_attribute(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn create_group(
        &self,
        ctx: &RequestContext,
        input: CreateGroupRequest,
    ) -> Result<Output<CreateGroupResponse>, CognitoError> {
        Cognito::create_group(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn get_group(
        &self,
        ctx: &RequestContext,
        input: GetGroupRequest,
    ) -> Result<Output<GetGroupResponse>, CognitoError> {
        Cognito::get_group(self, ctx, input).await.map(Output::from)
    }

    async fn list_groups(
        &self,
        ctx: &RequestContext,
        input: ListGroupsRequest,
    ) -> Result<Output<ListGroupsResponse>, CognitoError> {
        Cognito::list_groups(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn update_group(
        &self,
        ctx: &RequestContext,
        input: UpdateGroupRequest,
    ) -> Result<Output<UpdateGroupResponse>, CognitoError> {
        Cognito::update_group(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn delete_group(
        &self,
        ctx: &RequestContext,
        input: DeleteGroupRequest,
    ) -> Result<Output<EmptyOutput>, CognitoError> {
        Cognito::delete_group(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_add_user_to_group(
        &self,
        ctx: &RequestContext,
        input: AdminAddUserToGroupRequest,
    ) -> Result<Output<EmptyOutput>, CognitoError> {
        Cognito::admin_add_user_to_group(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_remove_user_from_group(
        &self,
        ctx: &RequestContext,
        input: AdminRemoveUserFromGroupRequest,
    ) -> Result<Output<EmptyOutput>, CognitoError> {
        Cognito::admin_remove_user_from_group(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_list_groups_for_user(
        &self,
        ctx: &RequestContext,
        input: AdminListGroupsForUserRequest,
    ) -> Result<Output<AdminListGroupsForUserResponse>, CognitoError> {
        Cognito::admin_list_groups_for_user(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn list_users_in_group(
        &self,
        ctx: &RequestContext,
        input: ListUsersInGroupRequest,
    ) -> Result<Output<ListUsersInGroupResponse>, CognitoError> {
        Cognito::list_users_in_group(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn initiate_auth(
        &self,
        ctx: &RequestContext,
        input: InitiateAuthRequest,
    ) -> Result<Output<InitiateAuthResponse>, CognitoError> {
        Cognito::initiate_auth(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_initiate_auth(
        &self,
        ctx: &RequestContext,
        input: AdminInitiateAuthRequest,
    ) -> Result<Output<AdminInitiateAuthResponse>, CognitoError> {
        Cognito::admin_initiate_auth(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn respond_to_auth_challenge(
        &self,
        ctx: &RequestContext,
        input: RespondToAuthChallengeRequest,
    ) -> Result<Output<RespondToAuthChallengeResponse>, CognitoError> {
        Cognito::respond_to_auth_challenge(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn admin_respond_to_auth_challenge(
        &self,
        ctx: &RequestContext,
        input: AdminRespondToAuthChallengeRequest,
    ) -> Result<Output<AdminRespondToAuthChallengeResponse>, CognitoError> {
        Cognito::admin_respond_to_auth_challenge(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn global_sign_out(
        &self,
        ctx: &RequestContext,
        input: GlobalSignOutRequest,
    ) -> Result<Output<GlobalSignOutResponse>, CognitoError> {
        Cognito::global_sign_out(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn revoke_token(
        &self,
        ctx: &RequestContext,
        input: RevokeTokenRequest,
    ) -> Result<Output<RevokeTokenResponse>, CognitoError> {
        Cognito::revoke_token(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn associate_software_token(
        &self,
        ctx: &RequestContext,
        input: AssociateSoftwareTokenRequest,
    ) -> Result<Output<AssociateSoftwareTokenResponse>, CognitoError> {
        Cognito::associate_software_token(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn verify_software_token(
        &self,
        ctx: &RequestContext,
        input: VerifySoftwareTokenRequest,
    ) -> Result<Output<VerifySoftwareTokenResponse>, CognitoError> {
        Cognito::verify_software_token(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn set_user_mfa_preference(
        &self,
        ctx: &RequestContext,
        input: SetUserMFAPreferenceRequest,
    ) -> Result<Output<SetUserMFAPreferenceResponse>, CognitoError> {
        Cognito::set_user_mfa_preference(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn create_identity_provider(
        &self,
        ctx: &RequestContext,
        input: CreateIdentityProviderRequest,
    ) -> Result<Output<CreateIdentityProviderResponse>, CognitoError> {
        Cognito::create_identity_provider(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn describe_identity_provider(
        &self,
        ctx: &RequestContext,
        input: DescribeIdentityProviderRequest,
    ) -> Result<Output<DescribeIdentityProviderResponse>, CognitoError> {
        Cognito::describe_identity_provider(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn list_identity_providers(
        &self,
        ctx: &RequestContext,
        input: ListIdentityProvidersRequest,
    ) -> Result<Output<ListIdentityProvidersResponse>, CognitoError> {
        Cognito::list_identity_providers(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn update_identity_provider(
        &self,
        ctx: &RequestContext,
        input: UpdateIdentityProviderRequest,
    ) -> Result<Output<UpdateIdentityProviderResponse>, CognitoError> {
        Cognito::update_identity_provider(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn delete_identity_provider(
        &self,
        ctx: &RequestContext,
        input: DeleteIdentityProviderRequest,
    ) -> Result<Output<EmptyOutput>, CognitoError> {
        Cognito::delete_identity_provider(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn get_identity_provider_by_identifier(
        &self,
        ctx: &RequestContext,
        input: GetIdentityProviderByIdentifierRequest,
    ) -> Result<Output<GetIdentityProviderByIdentifierResponse>, CognitoError> {
        Cognito::get_identity_provider_by_identifier(self, ctx, input)
            .await
            .map(Output::from)
    }

    async fn get_tokens_from_refresh_token(
        &self,
        ctx: &RequestContext,
        input: GetTokensFromRefreshTokenRequest,
    ) -> Result<Output<GetTokensFromRefreshTokenResponse>, CognitoError> {
        Cognito::get_tokens_from_refresh_token(self, ctx, input)
            .await
            .map(Output::from)
    }
}
