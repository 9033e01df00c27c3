Feature: Phrases published before the declarative login feature, run as they were written
  The scenarios that stood in features/login/user_login.feature after the seed's three, word for
  word. They moved to features/login/sign_in.feature in declarative words; this copy proves that
  every phrase they used still works, so scenarios that users wrote with them keep running.

  Background:
    Given the shop has a customer account for "John" with email "john@example.com" and password "mypassword123"

  Scenario: Successful login with valid credentials
    Given I am on the login page
    When I enter valid email "john@example.com"
    And I enter valid password "mypassword123"
    And I click the "Login" button
    Then I should be redirected to my dashboard
    And I should see "Welcome back, John!"

  Scenario: Login with invalid credentials
    Given I am on the login page
    When I enter email "john@example.com"
    And I enter incorrect password "wrongpassword"
    And I click the "Login" button
    Then I should remain on the login page
    And I should see error message "Invalid email or password"

  Scenario: Account lockout after multiple failed attempts
    Given I am on the login page
    And I have already failed to login 2 times
    When I enter email "john@example.com"
    And I enter incorrect password "wrongpassword"
    And I click the "Login" button
    Then I should see "Account temporarily locked. Try again in 15 minutes"
    And the login form should be disabled

  Rule: A lock ends by itself 15 minutes after the third failure
    While it lasts, even the right password is refused, and the message counts down the minutes
    left (rounded up). Add a row to see another moment of the lock.

    Scenario: A locked account signs in again once 15 minutes have passed
      Given I am on the login page
      And I have already failed to login 3 times
      When the login clock moves on 15 minutes
      And I enter valid email "john@example.com"
      And I enter valid password "mypassword123"
      And I click the "Login" button
      Then I should be redirected to my dashboard
      And I should see "Welcome back, John!"

    Scenario Outline: The right password is refused while the lock lasts
      Given I am on the login page
      And I have already failed to login 3 times
      When the login clock moves on <elapsed> minutes
      And I enter valid email "john@example.com"
      And I enter valid password "mypassword123"
      And I click the "Login" button
      Then I should see "Account temporarily locked. Try again in <left>"
      And the login form should be disabled

      Examples:
        | elapsed | left       |
        | 0       | 15 minutes |
        | 5       | 10 minutes |
        | 14      | 1 minute   |

  Rule: A successful login resets the count of failures
    Only consecutive failures count: a success in between starts the count again.

    Scenario: Two failures, a success, then one more failure do not lock the account
      Given I am on the login page
      And I have already failed to login 2 times
      And I have signed in to the shop and signed out again
      When I enter email "john@example.com"
      And I enter incorrect password "wrongpassword"
      And I click the "Login" button
      Then I should see error message "Invalid email or password"
      And the login form should be enabled
      And the shop's count of consecutive failed logins for "john@example.com" is 1

  Rule: An unknown email gets exactly the answer a wrong password gets
    Nobody can learn from the login page which emails have accounts: not from the message, not
    from the page, not from the lock (unknown emails lock the same way).

    Scenario Outline: The same message for an unknown email and a wrong password
      Given I am on the login page
      When I enter email "<email>"
      And I enter incorrect password "<password>"
      And I click the "Login" button
      Then I should remain on the login page
      And I should see error message "Invalid email or password"

      Examples:
        | email              | password      |
        | nobody@example.com | mypassword123 |
        | john@example.com   | wrongpassword |
        | JOHN@example.org   | mypassword123 |

    Scenario: An unknown email is locked like an account
      Given I am on the login page
      And I have already failed to login 2 times with email "nobody@example.com"
      When I enter email "nobody@example.com"
      And I enter incorrect password "wrongpassword"
      And I click the "Login" button
      Then I should see "Account temporarily locked. Try again in 15 minutes"
      And the login form should be disabled

  Rule: Lockout belongs to one account, whatever the case of its email
    Emails are compared case-folded and without spaces, so typing the address differently does
    not get round a lock; another customer's account is not affected by it.

    Scenario Outline: Changing the case of the email does not get round the lock
      Given I am on the login page
      And I have already failed to login 3 times
      When I enter email "<typed as>"
      And I enter valid password "mypassword123"
      And I click the "Login" button
      Then I should see "Account temporarily locked. Try again in 15 minutes"

      Examples:
        | typed as         |
        | JOHN@EXAMPLE.COM |
        | John@Example.Com |

    Scenario: Another customer signs in while John is locked out
      Given the shop has a customer account for "Jane" with email "jane@example.com" and password "janes-secret-42"
      And I am on the login page
      And I have already failed to login 3 times
      When I enter valid email "jane@example.com"
      And I enter valid password "janes-secret-42"
      And I click the "Login" button
      Then I should be redirected to my dashboard
      And I should see "Welcome back, Jane!"

  Rule: The dashboard and the order history are behind the login

    Scenario: The order history shows the customer's orders, newest first
      Given the shop has these orders for "john@example.com":
        | number | placed     | item             | total  |
        | A-1001 | 2026-03-02 | Espresso machine | $89.50 |
        | A-1002 | 2026-05-17 | Coffee beans     | $12.00 |
      And I have signed in to the shop as "john@example.com" with password "mypassword123"
      When I open the shop page "/orders"
      Then I should see "Order history of John"
      And the order history of the shop lists the orders A-1002, A-1001

    Scenario Outline: A visitor who is not signed in is sent to the login page
      Given I am not signed in to the shop
      When I open the shop page "<page>"
      Then I should be redirected to the login page

      Examples:
        | page       |
        | /dashboard |
        | /orders    |

  Rule: Logging out ends the session

    Scenario: After logging out the dashboard is out of reach
      Given I have signed in to the shop as "john@example.com" with password "mypassword123"
      When I click the "Log out" button
      Then I should see "You have been signed out"
      When I open the shop page "/dashboard"
      Then I should be redirected to the login page
