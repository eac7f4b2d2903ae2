"""Write src/faircollect/web/locales/zh_CN.po from the table below (msgid = English text).

Run after adding a message: `.venv/bin/python tools/web_catalogue.py`. A test checks that
every message the templates use has a zh-CN translation.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ZH = {
    "About": "关于", "Accounts by bucket": "各逾期段账户数", "Allowed": "允许",
    "Allowed, now denied": "原允许，现拒绝", "Amount": "金额", "Approve": "批准",
    "Ask for a payment plan": "申请还款计划", "Asked on": "申请日期",
    "Attempts and decisions": "联系尝试与决定", "Attempts planned": "计划的联系",
    "Attempts, newest first": "联系尝试（最新在前）", "Audit log": "审计日志",
    "Author": "作者", "Back to your account": "返回我的账户", "Borrower": "借款人",
    "Bucket": "逾期段", "By": "截止日期", "Case": "案件", "Cases ({n})": "案件（{n}）",
    "Channel": "渠道", "Channels opted out": "已退订渠道",
    "Channels you have turned off": "您已关闭的渠道", "Code": "验证码",
    "Code from your authenticator app": "身份验证器应用中的验证码",
    "Complaint {id}: open, answer due by {d}": "投诉 {id}：处理中，须于 {d} 前答复",
    "Complaints by category": "各类投诉数", "Consents": "同意事项", "Console": "控制台",
    "Customer number (on your statement)": "客户编号（见账单）", "Dashboard": "概览",
    "Days past due": "逾期天数", "Decision": "决定", "Decisions considered": "重审的决定数",
    "Denials by rule": "各规则拒绝数", "Denied for other rules": "仍拒绝但规则不同",
    "Denied, now allowed": "原拒绝，现允许", "Dispute the debt": "对债务提出异议",
    "Drafts": "草稿", "Due": "到期日", "Erase my data": "删除我的信息",
    "FairCollect: lawful, respectful collections.": "FairCollect：合法、尊重的催收。",
    "Fees": "费用", "First payment on": "首次还款日", "From": "起始", "From {start} to {end}":
    "{start} 至 {end}", "Get help": "寻求帮助", "Granted": "同意日期",
    "Hardship pause until": "困难暂停至", "Holds": "暂停原因", "How": "方式",
    "How we contact you": "我们如何联系您", "I will pay by": "我将于此日前还款",
    "If this customer number is ours, a six-digit code is on its way to the phone or e-mail we have for it. It works for 5 minutes.":
    "如果该客户编号属于我们，六位验证码已发送至我们登记的手机或邮箱，5 分钟内有效。",
    "Interest": "利息", "Jurisdiction": "司法辖区", "Language": "语言",
    "Lint findings": "文案检查结果", "Loan": "贷款", "Loans": "贷款",
    "Loans and their position": "贷款及状态", "Make a complaint": "投诉",
    "Messages and calls to you": "发给您的信息和电话",
    "Messages sent by the borrower's local hour": "按借款人当地时间统计的发送量",
    "Monthly payments": "分期月数", "Name": "姓名", "Never contact me again": "不要再联系我",
    "Next due": "下次到期", "Next payment due": "下次还款日",
    "No cases are assigned to you.": "没有分配给您的案件。",
    "No cycle has run yet.": "尚未运行任何每日批次。", "None yet.": "暂无。", "None.": "无。",
    "Notices we sent you": "我们发给您的通知", "Open a dispute": "提出异议",
    "Open disputes": "处理中的异议", "Open loans": "未结清贷款", "Overdue": "逾期金额",
    "Overdue now": "当前逾期", "Pack replay": "规则包重放", "Paid on": "还款日期",
    "Password": "密码", "Payment plans": "还款计划", "Payments": "还款记录", "Phone": "电话",
    "Planned at": "计划时间", "Principal": "本金", "Problems found: {n}": "发现问题：{n}",
    "Promise": "承诺", "Promise a payment": "承诺还款", "Promises to pay": "还款承诺",
    "Purpose": "目的",
    "Purpose for showing the full phone number (logged)": "显示完整电话号码的目的（将记录）",
    "Re-decide the recorded decisions under another rule pack and see what would change. Nothing is written.":
    "用另一规则包重新判定已记录的决定，查看会有哪些变化。不写入任何数据。",
    "Reason": "原因", "Receipt": "回执", "Record a promise to pay": "记录还款承诺",
    "Record the promise": "记录承诺", "Reject: send back to the author": "驳回：退回作者",
    "Replay": "重放", "Result": "结果", "Reveal the full phone number": "显示完整电话号码",
    "Roll rates": "迁徙率", "Roll rates by accounts, {a} to {b}": "按账户的迁徙率，{a} 至 {b}",
    "Root": "根哈希", "Rule": "规则", "Rule pack": "规则包", "Rules cited": "引用的规则",
    "Schedule": "还款计划表", "Send me a code": "发送验证码", "Send me a code by": "验证码发送方式",
    "Send my complaint": "提交投诉", "Send my request": "提交申请", "Sent": "已发送",
    "Sign in": "登录", "Sign in to your account": "登录您的账户", "Sign out": "退出",
    "Signed receipt": "签名回执", "Skip to content": "跳到正文",
    "Something went wrong": "出错了", "Source": "依据", "Staff sign-in": "员工登录",
    "State": "状态", "Status": "状态", "Still to repay": "待还本金",
    "Stop all collection contact": "停止所有催收联系", "Stop contacting me by": "停止通过此渠道联系我",
    "Template": "模板", "Template review": "模板审核", "Templates": "模板", "Text": "文本",
    "The linter finds nothing.": "文案检查未发现问题。",
    "This receipt is signed (Ed25519) so you can prove what you agreed to and when you withdrew.":
    "此回执已签名（Ed25519），可证明您同意的内容及撤回时间。",
    "To": "对象", "Turn off": "关闭", "Unchanged": "未变", "Username": "用户名",
    "Verified: {n} entries, {c} signed checkpoints, no problem found.":
    "已验证：{n} 条记录，{c} 个签名检查点，未发现问题。",
    "Verify the whole log": "验证整个日志", "Version": "版本", "Waiting for review": "待审核",
    "What the planner sees": "策略引擎看到的情况", "What would change": "会有的变化",
    "What you have agreed to": "您已同意的事项", "What you owe": "您的欠款", "When": "时间",
    "Who contacted you": "谁联系了您", "Why": "原因", "Why we contacted you": "我们为何联系您",
    "Withdraw": "撤回", "Withdrawn": "已撤回", "Work queue": "工作队列",
    "You asked us to stop collection contact.": "您已要求我们停止催收联系。",
    "You can also ask us to erase your name and phone number. We then cannot contact you at all.":
    "您也可以要求我们删除您的姓名和电话号码，之后我们将完全无法联系您。",
    "You have refused further contact. We will not contact you again about this.":
    "您已拒绝再被联系。我们不会再就此事联系您。",
    "Your account": "我的账户", "Your choices": "您的选择",
    "Your disputes and complaints": "您的异议和投诉",
    "Your name and phone number have been erased from our records.": "您的姓名和电话号码已从我们的记录中删除。",
    "Your payment plan requests": "您的还款计划申请", "allowed": "允许", "author": "作者",
    "denied": "拒绝", "e-mail": "电子邮件", "from / to": "从 / 到", "none": "无",
    "revealed, logged": "已显示，已记录", "text message": "短信", "withdrawn on {d}": "已于 {d} 撤回",
    "{lender} contacted you because one of its customers named you as a person it may reach them through ({relation}). We asked you only to pass on a request that they get in touch. We have not told you, and will not tell you, anything about their account.":
    "{lender} 联系您，是因为其一位客户将您登记为可以转达联系的人（{relation}）。我们只请您转告对方与我们联系。我们没有、也不会告诉您对方账户的任何情况。",
    # Values shown through t(): channels, audiences, purposes, states, reasons, relations.
    "sms": "短信", "email": "电子邮件", "call": "电话", "letter": "信函", "push": "推送",
    "whatsapp": "WhatsApp", "borrower": "借款人", "designated_contact": "指定联系人",
    "third_party": "第三方", "guarantor": "担保人", "spouse": "配偶", "parent": "父母",
    "sibling": "兄弟姐妹", "friend": "朋友", "colleague": "同事", "relative": "亲属",
    "collection": "催收", "contact_designated_contact": "联系指定联系人",
    "marketing": "营销", "data_sharing": "数据共享", "credit_bureau_reporting": "征信报送",
    "complaint_handling": "投诉处理", "dispute_investigation": "异议调查",
    "data_subject_request": "个人信息权利请求", "regulatory_inquiry": "监管问询",
    "draft": "草稿", "in_review": "审核中", "approved": "已批准", "retired": "已停用",
    "requested": "已申请", "accepted": "已接受", "declined": "已拒绝",
    "not_my_debt": "不是我的债务", "wrong_amount": "金额有误", "already_paid": "已经还清",
    "identity_theft": "身份被盗用", "other": "其他", "harassment": "骚扰",
    "contact_frequency": "联系过于频繁", "contact_hours": "联系时间不当",
    "third_party_contact": "联系了第三方", "disclosure": "泄露信息", "wrong_person": "联系错人",
    "amount": "金额", "tone": "态度", "child": "子女",
    # The portal's contact persons.
    "People we may ask to pass on a message": "我们可请其代为转告的联系人",
    "Your contact persons": "您的联系人", "Relation": "关系", "Added": "添加日期",
    "Remove": "移除", "Add a contact person": "添加联系人", "Their name": "对方姓名",
    "Their phone": "对方电话", "Add": "添加",
    "I agree that, when you cannot reach me, you may ask this person to pass on a request to call you. You will never tell them about my debt, and I can remove them here at any time.":
    "我同意：在联系不上我时，你们可以请此人转告我回电。你们绝不会向其透露我的债务，我可以随时在此移除此人。",
    "Your contact person is added.": "您的联系人已添加。",
    "Your contact person is removed: we will not contact them, and their details are deleted.":
    "您的联系人已移除：我们不会联系此人，其信息已删除。",
    # Messages from the pages' code.
    "The username, password or code is not right.": "用户名、密码或验证码不正确。",
    "Enter your customer number.": "请输入客户编号。",
    "That code is not right or has expired.": "验证码不正确或已过期。",
    "Your consent is withdrawn. A signed receipt is below.": "您的同意已撤回，签名回执见下方。",
    "Your request for a payment plan is sent. We will reply within 5 working days.":
    "您的还款计划申请已提交，我们将在 5 个工作日内答复。",
    "Thank you: your promise to pay is recorded.": "谢谢：您的还款承诺已记录。",
    "We will no longer use that channel.": "我们将不再使用该渠道。",
    "We will stop contacting you about collection.": "我们将停止就催收联系您。",
    "Your dispute is recorded. Collection is paused while we look into it.":
    "您的异议已记录，调查期间暂停催收。",
    "Your complaint is recorded.": "您的投诉已记录。",
    "Done: we will not contact you again.": "已完成：我们不会再联系您。",
    "Done: your name and phone number are erased.": "已完成：您的姓名和电话号码已删除。",
    "The promise to pay is recorded.": "还款承诺已记录。", "Approved.": "已批准。",
    "Sent back to its author.": "已退回作者。", "Enter an amount and a date.": "请输入金额和日期。",
    "please sign in": "请登录", "not found": "未找到", "error": "错误",
    "this link is unknown or has expired": "此链接无效或已过期",
    "a field of the form is missing or invalid": "表单中有字段缺失或无效",
    "the form's security token is missing or stale; reload the page": "表单安全令牌缺失或已过期，请刷新页面",
    "Messages sent": "已发送信息",
    "What the planner will do next": "策略引擎的下一步", "Show what the planner will do next": "查看策略引擎的下一步",
    "Nothing is due on {d}.": "{d} 没有到期的联系。", "Planned for {d} and the decision on each": "{d} 的计划及各项决定",
    "Step": "步骤", "The planner cannot run": "策略引擎无法运行", "Back to the case": "返回案件",
    "Complaints": "投诉", "No open complaints.": "没有待处理的投诉。",
    "Open complaints, nearest deadline first": "待处理投诉（最近截止在前）", "Complaint": "投诉",
    "Received": "收到日期", "Answer due": "答复截止", "Close": "结案", "overdue": "已超期",
    "Root cause": "根本原因", "Subject requests": "个人信息权利请求", "No pending requests.": "没有待处理的请求。",
    "Pending erasure requests": "待处理的删除请求", "Request": "请求", "Asked by": "请求人",
    "Approve and erase": "批准并删除", "Reject": "驳回", "Sign a checkpoint": "签署检查点",
    "Signed checkpoint": "已签名的检查点", "Entry number": "记录编号",
    "Show its inclusion proof": "显示其包含证明", "Inclusion proof": "包含证明",
    "policy_breach": "违反政策", "playbook_design": "策略设计", "agent_conduct": "催收员行为",
    "data_error": "数据错误", "wrong_number": "号码错误", "template_wording": "模板措辞",
    "request": "本人请求", "retention": "保存期满", "court_order": "法院命令",
    "system_fault": "系统故障", "no_fault_found": "未发现过错",
    "escalation_notice": "催收升级通知", "dispute_acknowledgement": "异议受理确认", "Payment plan requests": "还款计划申请", "Set up the plan": "设立还款计划", "Decline": "拒绝",
    "The payment plan is set up.": "还款计划已设立。", "The request is declined.": "申请已拒绝。",
}


def main() -> None:
    cat = Catalog(locale="zh_Hans_CN", project="FairCollect web", charset="utf-8")
    for msgid, text in sorted(ZH.items()):
        cat.add(msgid, text)
    out = Path(__file__).resolve().parent.parent / "src/faircollect/web/locales/zh_CN.po"
    with out.open("wb") as fh:
        write_po(fh, cat, width=100, omit_header=False)
    print(f"{len(ZH)} messages -> {out}")


if __name__ == "__main__":
    main()
