import { RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Its stack name: one per account and region, whichever stage deploys it. */
export const API_GATEWAY_ACCOUNT_STACK = 'ServerlessDataApi-ApiGatewayAccount';

/**
 * API Gateway's CloudWatch Logs role is one setting per account and region (AWS::ApiGateway::Account),
 * needed for access and execution logs. Owned by this one stack, not by every stage's: two stage stacks
 * would each own, and overwrite, the same setting. Retained on deletion, since other APIs of the
 * account may log through it.
 */
export class ApiGatewayAccountStack extends Stack {
  constructor(scope: Construct, props: StackProps) {
    super(scope, API_GATEWAY_ACCOUNT_STACK, {
      ...props,
      description: "API Gateway's account-level CloudWatch Logs role (one per account and region)",
    });
    const role = new Role(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway writes access and execution logs to CloudWatch Logs',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level logging role uses the AWS-managed policy AWS documents for it; it " +
        'only writes CloudWatch Logs, and is needed for the access and execution logs.',
    });
  }
}
