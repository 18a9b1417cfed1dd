"""A participant submits a continuing-education activity for the training office to review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from learning.continuing_education.forms import ContinuingEducationForm
from learning.continuing_education.services import ce_submit


@login_required
def submit_continuing_education(request):
    form = ContinuingEducationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            ce_submit(participant=request.user, **form.cleaned_data)
        except ValidationError as refusal:  # submitted already: said on the form, nothing added
            form.add_error(None, refusal)
        else:
            messages.success(request, "Thank you: your activity is waiting for review by the training office.")
            return redirect("dashboard")
    return render(request, "learning/ce_form.html", {"form": form})
