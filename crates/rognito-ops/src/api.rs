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
}
