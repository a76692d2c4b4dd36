// Loaded at the start of <body>: tells the NHS.UK frontend styles that JavaScript runs here.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
