"""Groups (issue 13) through boto3: each operation, its errors and pagination
(docs/research/users-and-groups.md §7)."""

from __future__ import annotations

from rognito_helpers import assert_error, client_error


def test_group_lifecycle(cognito, pool):
    created = cognito.create_group(UserPoolId=pool, GroupName="admins", Description="Admins")[
        "Group"]
    assert created["GroupName"] == "admins" and created["UserPoolId"] == pool
    assert created["Description"] == "Admins"
    # Members never set are absent, not null.
    assert "Precedence" not in created and "RoleArn" not in created
    assert created["CreationDate"] == created["LastModifiedDate"]
    err = client_error(cognito.create_group, UserPoolId=pool, GroupName="admins")
    assert_error(err, "GroupExistsException", "A group with the name already exists.")
    assert cognito.get_group(UserPoolId=pool, GroupName="admins")["Group"] == created
    updated = cognito.update_group(UserPoolId=pool, GroupName="admins", Precedence=3,
                                   RoleArn="arn:aws:iam::123456789012:role/admins")["Group"]
    # Omitted members keep their values.
    assert updated["Description"] == "Admins" and updated["Precedence"] == 3
    assert updated["LastModifiedDate"] >= created["LastModifiedDate"]
    cognito.delete_group(UserPoolId=pool, GroupName="admins")
    for call in (cognito.get_group, cognito.delete_group):
        assert_error(client_error(call, UserPoolId=pool, GroupName="admins"),
                     "ResourceNotFoundException", "Group not found.")
    assert_error(client_error(cognito.update_group, UserPoolId=pool, GroupName="admins"),
                 "ResourceNotFoundException", "Group not found.")
    err = client_error(cognito.create_group, UserPoolId="us-east-1_missing00", GroupName="g")
    assert_error(err, "ResourceNotFoundException", "User pool us-east-1_missing00 does not exist.")


def test_group_lists_page(cognito, pool):
    for i in range(5):
        cognito.create_group(UserPoolId=pool, GroupName=f"g{i}")
    first = cognito.list_groups(UserPoolId=pool, Limit=2)
    assert [g["GroupName"] for g in first["Groups"]] == ["g0", "g1"]
    rest = cognito.list_groups(UserPoolId=pool, Limit=10, NextToken=first["NextToken"])
    assert [g["GroupName"] for g in rest["Groups"]] == ["g2", "g3", "g4"]
    assert "NextToken" not in rest


def test_membership(cognito, pool):
    cognito.create_group(UserPoolId=pool, GroupName="g1")
    cognito.create_group(UserPoolId=pool, GroupName="g2")
    for name in ("ann", "bob"):
        cognito.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="ann", GroupName="g1")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="ann", GroupName="g1")  # again: fine
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="ann", GroupName="g2")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="bob", GroupName="g1")
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username="ann")["Groups"]
    assert [g["GroupName"] for g in groups] == ["g1", "g2"]
    users = cognito.list_users_in_group(UserPoolId=pool, GroupName="g1", Limit=1)
    assert [u["Username"] for u in users["Users"]] == ["ann"]
    more = cognito.list_users_in_group(UserPoolId=pool, GroupName="g1",
                                       NextToken=users["NextToken"])
    assert [u["Username"] for u in more["Users"]] == ["bob"]
    assert more["Users"][0]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    cognito.admin_remove_user_from_group(UserPoolId=pool, Username="ann", GroupName="g1")
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username="ann")["Groups"]
    assert [g["GroupName"] for g in groups] == ["g2"]
    err = client_error(cognito.admin_add_user_to_group, UserPoolId=pool, Username="nobody",
                       GroupName="g1")
    assert_error(err, "UserNotFoundException", "User does not exist.")
    err = client_error(cognito.admin_add_user_to_group, UserPoolId=pool, Username="ann",
                       GroupName="nope")
    assert_error(err, "ResourceNotFoundException", "Group not found.")
    err = client_error(cognito.list_users_in_group, UserPoolId=pool, GroupName="nope")
    assert_error(err, "ResourceNotFoundException", "Group not found.")
    err = client_error(cognito.admin_list_groups_for_user, UserPoolId=pool, Username="nobody")
    assert_error(err, "UserNotFoundException", "User does not exist.")
    # Deleting a group with members removes it from their groups; deleting a user from the
    # group's members.
    cognito.delete_group(UserPoolId=pool, GroupName="g2")
    assert cognito.admin_list_groups_for_user(UserPoolId=pool, Username="ann")["Groups"] == []
    cognito.admin_delete_user(UserPoolId=pool, Username="bob")
    assert cognito.list_users_in_group(UserPoolId=pool, GroupName="g1")["Users"] == []
